// Domain errors with stable codes; http/ maps the codes to status codes at the edge.
export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'bad_signature'
  | 'malformed_webhook';

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldError[] | undefined;
  constructor(code: ErrorCode, message: string, fields?: FieldError[]) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.fields = fields;
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} was not found`);
export const conflict = (message: string) => new AppError('conflict', message);
export const unprocessable = (message: string, fields?: FieldError[]) => new AppError('unprocessable', message, fields);
