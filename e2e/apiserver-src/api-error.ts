// Errors in the shape of the API server's metav1.Status, so that kubectl and
// client libraries print and classify them as they would for a real cluster.

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** Names a resource in messages the way the API server does: plural, with the group if any ("endpointslices.discovery.k8s.io"). */
export interface ResourceName {
  group: string;
  plural: string;
  kind: string;
}

function qualified(resource: ResourceName): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details !== undefined) status.details = this.details;
    return status;
  }

  static notFound(resource: ResourceName, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, {
      name,
      group: resource.group || undefined,
      kind: resource.plural,
    });
  }

  static pathNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  }

  static alreadyExists(resource: ResourceName, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, {
      name,
      group: resource.group || undefined,
      kind: resource.plural,
    });
  }

  static conflict(resource: ResourceName, name: string, why: string): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource)} "${name}": ${why}`, {
      name,
      group: resource.group || undefined,
      kind: resource.plural,
    });
  }

  static staleResourceVersion(resource: ResourceName, name: string): ApiError {
    return ApiError.conflict(
      resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }

  /** 422 with one cause per field error, as field.ErrorList.ToAggregate() produces. */
  static invalid(resource: ResourceName, name: string, causes: StatusCause[]): ApiError {
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${resource.kind} "${name}" is invalid: ${summary}`, {
      name,
      group: resource.group || undefined,
      kind: resource.kind,
      causes,
    });
  }

  static badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  }

  static methodNotAllowed(method: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {});
  }

  static notAcceptable(accept: string): ApiError {
    return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml (got ${accept})`);
  }

  static unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${contentType})`);
  }

  /** What a watch from a compacted resourceVersion gets (reason "Expired", as the watch cache sends). */
  static expired(requested: number, oldest: number): ApiError {
    return new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
  }

  /**
   * A continue token whose resourceVersion the store no longer holds (etcd compacted it): 410 Expired with
   * the real server's message. The real one may also offer an "inconsistent" token to read on at the
   * current resourceVersion; this one does not, so the client starts a new list.
   */
  static continueExpired(): ApiError {
    return new ApiError(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    );
  }

  static internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: 'UnexpectedServerResponse', message }] });
  }
}

/** A field error in the shape of field.Error, for use with ApiError.invalid. */
export const fieldError = {
  required: (field: string, detail = ''): StatusCause => ({
    reason: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  }),
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  }),
  notSupported: (field: string, value: unknown, supported: readonly string[]): StatusCause => ({
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
  }),
  duplicate: (field: string, value: unknown): StatusCause => ({
    reason: 'FieldValueDuplicate',
    field,
    message: `Duplicate value: ${JSON.stringify(value)}`,
  }),
  forbidden: (field: string, detail: string): StatusCause => ({
    reason: 'FieldValueForbidden',
    field,
    message: `Forbidden: ${detail}`,
  }),
};

/**
 * Thrown by validation and allocation code that does not know which object it
 * is working on; the registry turns it into ApiError.invalid with the name.
 */
export class InvalidFields extends Error {
  constructor(readonly causes: StatusCause[]) {
    super(causes.map((c) => `${c.field ?? ''}: ${c.message}`).join('; '));
    this.name = 'InvalidFields';
  }
}
