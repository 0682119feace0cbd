// OpenAPI v2 in protobuf (gnostic's openapi_v2.Document), the only encoding
// kubectl 1.27 and 1.28 read from /openapi/v2. As with v3 (openapi.ts) the
// document only lists each kind's operations with the fieldValidation query
// parameter, which is what kubectl checks before create/replace to leave
// validation to the server.

import { messageField, stringField, boolField } from './protobuf-encoding.js';
import { ALL_RESOURCE_TYPES, type ResourceType } from './resource-types.js';

/** The content type kube-openapi answers with (clients ask with the older "...v2@v1.0+protobuf", which Go's mime parser rejects in a response). */
export const OPENAPI_V2_PROTOBUF_MEDIA_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

// Field numbers from gnostic openapiv2/OpenAPIv2.proto.
const DOCUMENT = { swagger: 1, info: 2, paths: 8 };
const INFO = { title: 1, version: 2 };
const PATHS = { path: 2 };
const NAMED = { name: 1, value: 2 };
const PATH_ITEM = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };
const OPERATION = { operationId: 5, parameters: 8, responses: 9, vendorExtension: 13 };
const PARAMETERS_ITEM = { parameter: 1 };
const PARAMETER = { nonBodyParameter: 2 };
const NON_BODY_PARAMETER = { query: 3 };
const QUERY_PARAMETER = { in: 2, description: 3, name: 4, type: 6, uniqueItems: 20 };
const RESPONSES = { responseCode: 1 };
const RESPONSE_VALUE = { response: 1 };
const RESPONSE = { description: 1 };
const ANY = { yaml: 2 };

function queryParameter(name: string, description: string): Buffer {
  return messageField(
    OPERATION.parameters,
    messageField(
      PARAMETERS_ITEM.parameter,
      messageField(
        PARAMETER.nonBodyParameter,
        messageField(
          NON_BODY_PARAMETER.query,
          stringField(QUERY_PARAMETER.in, 'query'),
          stringField(QUERY_PARAMETER.description, description),
          stringField(QUERY_PARAMETER.name, name),
          stringField(QUERY_PARAMETER.type, 'string'),
          boolField(QUERY_PARAMETER.uniqueItems, true),
        ),
      ),
    ),
  );
}

function vendorExtension(name: string, yaml: string): Buffer {
  return messageField(OPERATION.vendorExtension, stringField(NAMED.name, name), messageField(NAMED.value, stringField(ANY.yaml, yaml)));
}

function operation(field: number, type: ResourceType, action: string, writes: boolean): Buffer {
  const parts = [stringField(OPERATION.operationId, `${action}${type.kind}`)];
  if (writes) {
    parts.push(queryParameter('dryRun', 'When present, modifications are not persisted. Valid value: All'));
    parts.push(queryParameter('fieldManager', 'Name of the actor making the change (ignored here).'));
    parts.push(queryParameter('fieldValidation', 'How to treat unknown fields: Ignore, Warn (default) or Strict.'));
  }
  parts.push(
    messageField(
      OPERATION.responses,
      messageField(RESPONSES.responseCode, stringField(NAMED.name, '200'), messageField(NAMED.value, messageField(RESPONSE_VALUE.response, stringField(RESPONSE.description, 'OK')))),
    ),
  );
  parts.push(vendorExtension('x-kubernetes-action', `${action}\n`));
  parts.push(vendorExtension('x-kubernetes-group-version-kind', `group: "${type.group}"\nkind: ${type.kind}\nversion: ${type.version}\n`));
  return messageField(field, ...parts);
}

function pathItem(path: string, ...operations: Buffer[]): Buffer {
  return messageField(PATHS.path, stringField(NAMED.name, path), messageField(NAMED.value, ...operations));
}

export function openApiV2Document(): Buffer {
  const paths: Buffer[] = [];
  for (const type of ALL_RESOURCE_TYPES) {
    const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
    const collection = type.namespaced ? `${base}/namespaces/{namespace}/${type.plural}` : `${base}/${type.plural}`;
    paths.push(pathItem(collection, operation(PATH_ITEM.get, type, 'list', false), operation(PATH_ITEM.post, type, 'post', true)));
    paths.push(
      pathItem(
        `${collection}/{name}`,
        operation(PATH_ITEM.get, type, 'get', false),
        operation(PATH_ITEM.put, type, 'put', true),
        operation(PATH_ITEM.delete, type, 'delete', false),
        operation(PATH_ITEM.patch, type, 'patch', true),
      ),
    );
  }
  return Buffer.concat([
    stringField(DOCUMENT.swagger, '2.0'),
    messageField(DOCUMENT.info, stringField(INFO.title, 'Kubernetes (e2e stand-in)'), stringField(INFO.version, 'unversioned')),
    messageField(DOCUMENT.paths, ...paths),
  ]);
}
