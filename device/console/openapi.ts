/** The OpenAPI 3.1 document the server serves at /api/v1/openapi.json. */
import * as S from './schemas.ts';

type Op = { summary: string; scope: 'public' | 'read' | 'enrol' | 'admin'; body?: object; multipart?: boolean; query?: object; ok?: object; okStatus?: number; produces?: string };

const errorResponse = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

function op(o: Op): object {
  const responses: Record<string, object> = {
    [String(o.okStatus ?? 200)]: { description: 'ok', content: { [o.produces ?? 'application/json']: { schema: o.ok ?? { type: o.produces === 'text/csv' ? 'string' : 'object' } } } },
    '400': errorResponse, '500': errorResponse,
  };
  if (o.scope !== 'public') Object.assign(responses, { '401': errorResponse, '403': errorResponse });
  if (o.multipart) responses['413'] = errorResponse;
  const parameters = o.query ? Object.entries((o.query as { properties: Record<string, object> }).properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema })) : undefined;
  return {
    summary: o.summary,
    ...(o.scope === 'public' ? { security: [] } : { 'x-scope': o.scope }),
    ...(parameters ? { parameters } : {}),
    ...(o.body ? { requestBody: { required: true, content: { 'application/json': { schema: o.body } } } } : {}),
    ...(o.multipart ? { requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' }, name: { type: 'string' } }, required: ['image'] } } } } } : {}),
    responses,
  };
}

const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const withId = (o: object) => ({ ...o, parameters: idParam });

const face = { type: 'object', properties: { box: S.box, score: { type: 'number' }, landmarks: S.landmarks } };

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'FaceGate device API', version, description: 'Local API of a FaceGate door terminal; the operator console uses it too. Auth: a console session (cookie + X-CSRF-Token header on writes) or an API token (Authorization: Bearer, scope read < enrol < admin).' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        token: { type: 'http', scheme: 'bearer', description: 'API token (`facegate console token create` or POST /api/v1/tokens)' },
        session: { type: 'apiKey', in: 'cookie', name: 'fg_session' },
      },
      schemas: { Error: S.errorBody, Person: S.person, Decision: S.decision, Face: face },
    },
    security: [{ token: [] }, { session: [] }],
    paths: {
      '/api/v1/openapi.json': { get: op({ summary: 'This document', scope: 'public' }) },
      '/api/v1/auth/login': { post: op({ summary: 'Log in as the admin (rate-limited); sets the session cookie, returns the CSRF token', scope: 'public', body: S.loginBody }) },
      '/api/v1/auth/logout': { post: op({ summary: 'End the session', scope: 'read' }) },
      '/api/v1/auth/session': { get: op({ summary: 'Who is calling, scope, CSRF token', scope: 'read' }) },
      '/api/v1/tokens': {
        get: op({ summary: 'List API tokens (no secrets)', scope: 'admin' }),
        post: op({ summary: 'Create an API token (its value is shown once)', scope: 'admin', body: S.tokenCreate, okStatus: 201 }),
      },
      '/api/v1/tokens/{id}': { delete: withId(op({ summary: 'Revoke an API token', scope: 'admin' })) },
      '/api/v1/detect': { post: op({ summary: 'Detect faces in an uploaded image: box, score, landmarks', scope: 'read', multipart: true, ok: { type: 'object', properties: { width: { type: 'integer' }, height: { type: 'integer' }, faces: { type: 'array', items: { $ref: '#/components/schemas/Face' } } } } }) },
      '/api/v1/identify': { post: op({ summary: 'Identify every face in an uploaded image: one decision per face (single image: no voting, no liveness)', scope: 'read', multipart: true }) },
      '/api/v1/people': {
        get: op({ summary: 'List people', scope: 'read' }),
        post: op({ summary: 'Create a person (no templates yet)', scope: 'enrol', body: S.personCreate, okStatus: 201, ok: { $ref: '#/components/schemas/Person' } }),
      },
      '/api/v1/people/{id}': {
        get: withId(op({ summary: 'One person', scope: 'read', ok: { $ref: '#/components/schemas/Person' } })),
        patch: withId(op({ summary: 'Update name, enabled, validity window', scope: 'enrol', body: S.personPatch, ok: { $ref: '#/components/schemas/Person' } })),
        delete: withId(op({ summary: 'Delete a person and erase their templates', scope: 'admin' })),
      },
      '/api/v1/people/{id}/photos': { post: withId(op({ summary: 'Add templates from uploaded photos (creates the person if new)', scope: 'enrol', multipart: true })) },
      '/api/v1/decisions': { get: op({ summary: 'Recent decisions, newest first', scope: 'read', query: S.decisionQuery, ok: { type: 'object', properties: { decisions: { type: 'array', items: { $ref: '#/components/schemas/Decision' } } } } }) },
      '/api/v1/decisions.csv': { get: op({ summary: 'Recent decisions as CSV (same filters)', scope: 'read', query: S.decisionQuery, produces: 'text/csv' }) },
      '/api/v1/status': { get: op({ summary: 'Device, model pack, gallery version, sync state', scope: 'read' }) },
      '/api/v1/config': { get: op({ summary: 'The running config, secrets redacted', scope: 'read' }) },
      '/api/v1/device': { get: op({ summary: 'Health, metrics summary, models, sync state, recent log lines', scope: 'read' }) },
      '/api/v1/calibration/report': { get: op({ summary: 'The last calibration run\'s HTML report, else the configured one', scope: 'read', produces: 'text/html' }) },
      '/api/v1/calibration': { get: op({ summary: 'Threshold and margin in force; whether a report is available', scope: 'read' }) },
      '/api/v1/calibration/run': { post: { ...(op({ summary: 'Run calibration on an uploaded labelled set (multipart fields image:<person>); returns the threshold for targetFar and makes the report available', scope: 'admin', query: { properties: { targetFar: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 } } } }) as object), requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object', additionalProperties: { type: 'string', format: 'binary' } } } } } } },
      '/api/v1/calibration/threshold': { post: op({ summary: 'Apply a match threshold (and margin): written to the config file the device runs from (atomic, .bak kept), then in force at once; audited. persisted=false when the device was started without a config file', scope: 'admin', body: S.thresholdBody }) },
      '/api/v1/live/events': { get: op({ summary: 'Server-Sent Events: decision, faces, capture', scope: 'read', produces: 'text/event-stream' }) },
      '/api/v1/live/video': { get: op({ summary: 'Camera frames (MJPEG, bounded rate); their boxes, names, distances and liveness come as `faces` events on /live/events, or drawn in with overlay=1', scope: 'read', produces: 'multipart/x-mixed-replace', query: { properties: { overlay: { type: 'string', enum: ['0', '1'] } } } }) },
      '/api/v1/recent-faces/settings': {
        get: op({ summary: 'Recent faces settings (off by default)', scope: 'read' }),
        put: op({ summary: 'Turn recent faces on or off (off forgets every crop)', scope: 'admin', body: S.recentSettings }),
      },
      '/api/v1/recent-faces': { get: op({ summary: 'Crops of recent unknown or near-threshold faces (memory only, bounded time)', scope: 'enrol' }) },
      '/api/v1/recent-faces/{id}': { delete: withId(op({ summary: 'Delete a crop', scope: 'enrol' })) },
      '/api/v1/recent-faces/{id}/image': { get: withId(op({ summary: 'The crop (JPEG)', scope: 'enrol', produces: 'image/jpeg' })) },
      '/api/v1/recent-faces/{id}/assign': { post: withId(op({ summary: 'Enrol the crop as a template of a person', scope: 'enrol', body: S.assignBody })) },
      '/api/v1/capture': {
        get: op({ summary: 'Guided capture state and checks', scope: 'read' }),
        post: op({ summary: 'Start guided capture of a person at the door camera', scope: 'enrol', body: S.captureStart, okStatus: 201 }),
        delete: op({ summary: 'Cancel guided capture', scope: 'enrol' }),
      },
    },
  };
}
