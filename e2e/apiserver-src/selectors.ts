// Label selectors (the full set-based syntax) and field selectors
// (metadata.name / metadata.namespace, which is what informers use, e.g.
// client-node's Node informer with fieldSelector=metadata.name=NODE).

import { ApiError } from './api-error.js';
import type { KubeObject } from './kube-object.js';

export type ObjectPredicate = (object: KubeObject) => boolean;

export const MATCH_EVERYTHING: ObjectPredicate = () => true;

/** Splits on commas that are not inside "( ... )". */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

type LabelRequirement = (labels: Record<string, string>) => boolean;

function parseRequirement(text: string): LabelRequirement {
  const setMatch = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (setMatch !== null) {
    const [, key = '', operator, list = ''] = setMatch;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return operator === 'in'
      ? (labels) => key in labels && values.has(labels[key] ?? '')
      : (labels) => !(key in labels) || !values.has(labels[key] ?? '');
  }
  const compare = /^([^\s!=<>(),]+)\s*(==|=|!=|<|>)\s*([^\s!=<>(),]*)$/.exec(text);
  if (compare !== null) {
    const [, key = '', operator, value = ''] = compare;
    switch (operator) {
      case '=':
      case '==':
        return (labels) => labels[key] === value;
      case '!=':
        return (labels) => labels[key] !== value;
      default: {
        const bound = Number(value);
        if (!Number.isInteger(bound)) throw ApiError.badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: "${value}"`);
        return operator === '<'
          ? (labels) => key in labels && Number(labels[key]) < bound
          : (labels) => key in labels && Number(labels[key]) > bound;
      }
    }
  }
  const exists = /^(!?)\s*([^\s!=<>(),]+)$/.exec(text);
  if (exists !== null) {
    const [, negated, key = ''] = exists;
    return negated ? (labels) => !(key in labels) : (labels) => key in labels;
  }
  throw ApiError.badRequest(`unable to parse requirement: found '${text}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function parseLabelSelector(text: string | null | undefined): ObjectPredicate {
  if (text === null || text === undefined || text.trim() === '') return MATCH_EVERYTHING;
  const requirements = splitTopLevel(text).map(parseRequirement);
  return (object) => {
    const labels = object.metadata.labels ?? {};
    return requirements.every((requirement) => requirement(labels));
  };
}

const FIELD_GETTERS: Record<string, (object: KubeObject) => string> = {
  'metadata.name': (object) => object.metadata.name ?? '',
  'metadata.namespace': (object) => object.metadata.namespace ?? '',
};

export function parseFieldSelector(text: string | null | undefined): ObjectPredicate {
  if (text === null || text === undefined || text.trim() === '') return MATCH_EVERYTHING;
  const terms = text.split(',').map((term) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (match === null) throw ApiError.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field = '', operator, value = ''] = match;
    const get = FIELD_GETTERS[field];
    if (get === undefined) {
      throw ApiError.badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
    return operator === '!=' ? (object: KubeObject) => get(object) !== value : (object: KubeObject) => get(object) === value;
  });
  return (object) => terms.every((term) => term(object));
}

export function both(a: ObjectPredicate, b: ObjectPredicate): ObjectPredicate {
  if (a === MATCH_EVERYTHING) return b;
  if (b === MATCH_EVERYTHING) return a;
  return (object) => a(object) && b(object);
}
