/**
 * Domain errors carry the HTTP status they mean, so routes never map errors themselves
 * (one error middleware does). Messages are written for a person.
 */
export type ErrorCode = 'invalid' | 'not_found' | 'conflict' | 'unprocessable' | 'forbidden' | 'unauthorized' | 'internal';

export class CaoError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaoError';
  }
}

export const invalid = (msg: string) => new CaoError(400, 'invalid', msg);
export const notFound = (msg: string) => new CaoError(404, 'not_found', msg);
export const conflict = (msg: string) => new CaoError(409, 'conflict', msg);
export const unprocessable = (msg: string) => new CaoError(422, 'unprocessable', msg);
export const forbidden = (msg: string) => new CaoError(403, 'forbidden', msg);

export const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));
