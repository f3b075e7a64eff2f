/**
 * JSON Schemas of the API's request bodies and main answers. Fastify validates requests with the
 * same objects the OpenAPI document (openapi.ts) publishes, so the document cannot drift from
 * what the server accepts.
 */
const isoOrNull = { type: ['string', 'null'], format: 'date-time' } as const;
const identityId = { type: 'string', minLength: 1, maxLength: 128 } as const;

export const box = { type: 'object', required: ['x', 'y', 'w', 'h'], properties: { x: { type: 'number' }, y: { type: 'number' }, w: { type: 'number' }, h: { type: 'number' } } } as const;
export const landmarks = { type: 'array', description: 'left eye, right eye, nose, left and right mouth corner (image px)', items: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 }, minItems: 5, maxItems: 5 } as const;

export const loginBody = {
  type: 'object', required: ['password'], additionalProperties: false,
  properties: { user: { type: 'string', maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

export const personCreate = {
  type: 'object', required: ['id'], additionalProperties: false,
  properties: { id: identityId, name: { type: ['string', 'null'], maxLength: 256 }, enabled: { type: 'boolean' }, validFrom: isoOrNull, validUntil: isoOrNull },
} as const;

export const personPatch = {
  type: 'object', additionalProperties: false, minProperties: 1,
  properties: { name: { type: ['string', 'null'], maxLength: 256 }, enabled: { type: 'boolean' }, validFrom: isoOrNull, validUntil: isoOrNull },
} as const;

export const person = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: ['string', 'null'] }, enabled: { type: 'boolean' }, validFrom: { type: ['string', 'null'] }, validUntil: { type: ['string', 'null'] },
    templates: { type: 'integer' }, created: { type: 'string' }, updated: { type: 'string' },
  },
} as const;

export const tokenCreate = {
  type: 'object', required: ['name', 'scope'], additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, scope: { type: 'string', enum: ['read', 'enrol', 'admin'] } },
} as const;

export const captureStart = {
  type: 'object', required: ['id'], additionalProperties: false,
  properties: { id: identityId, name: { type: ['string', 'null'], maxLength: 256 }, frames: { type: 'integer', minimum: 1, maximum: 20 } },
} as const;

export const thresholdBody = {
  type: 'object', required: ['threshold'], additionalProperties: false,
  properties: { threshold: { type: 'number', exclusiveMinimum: 0, maximum: 2 }, margin: { type: 'number', minimum: 0, maximum: 2 } },
} as const;

export const decisionQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' }, person: { type: 'string', maxLength: 128 },
    kind: { type: 'string', enum: ['grant', 'deny', 'unknown'] }, afterSeq: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 10000 },
  },
} as const;

export const decision = {
  type: 'object',
  properties: {
    seq: { type: 'integer' }, id: { type: 'string' }, at: { type: 'string', format: 'date-time' }, decision: { type: 'string', enum: ['grant', 'deny', 'unknown'] },
    identity: { type: ['string', 'null'] }, name: { type: ['string', 'null'] }, distance: { type: ['number', 'null'] }, threshold: { type: 'number' },
    reason: { type: ['string', 'null'] }, liveness: { type: ['number', 'null'] }, latencyMs: { type: 'number' },
  },
} as const;

export const errorBody = {
  type: 'object', required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
} as const;

export const recentSettings = {
  type: 'object', required: ['enabled'], additionalProperties: false,
  properties: { enabled: { type: 'boolean' }, keepMinutes: { type: 'integer', minimum: 1, maximum: 1440 } },
} as const;

export const assignBody = { type: 'object', required: ['person'], additionalProperties: false, properties: { person: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
