// The name and label rules of apimachinery's validation package, for the
// handful of checks this server makes.

import { fieldError, type StatusCause } from './api-error.js';
import { isRecord } from './kube-object.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SERVICE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export type NameRule = 'dns1123-label' | 'dns1035-label' | 'dns1123-subdomain';

export function validateName(name: string, rule: NameRule, field = 'metadata.name'): StatusCause[] {
  if (name === '') return [fieldError.required(field, 'name or generateName is required')];
  switch (rule) {
    case 'dns1035-label':
      if (name.length > 63 || !DNS1035_LABEL.test(name)) {
        return [fieldError.invalid(field, name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character")];
      }
      return [];
    case 'dns1123-label':
      if (name.length > 63 || !DNS1123_LABEL.test(name)) {
        return [fieldError.invalid(field, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character")];
      }
      return [];
    case 'dns1123-subdomain':
      if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
        return [fieldError.invalid(field, name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")];
      }
      return [];
  }
}

export function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1] ?? '';
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) return false;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    return prefix.length > 0 && prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix);
  }
  return true;
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

export function validateLabels(labels: unknown, field = 'metadata.labels'): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isRecord(labels)) return [fieldError.invalid(field, labels, 'must be a map of strings')];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) causes.push(fieldError.invalid(field, key, 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'));
    if (typeof value !== 'string' || !isLabelValue(value)) causes.push(fieldError.invalid(field, value, 'a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'));
  }
  return causes;
}

export function isIanaServiceName(name: string): boolean {
  return name.length <= 15 && IANA_SERVICE_NAME.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

export function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}
