import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import type { ApiAccess } from './bearer-auth.ts';

declare module 'fastify' {
  interface FastifySchema {
    /** OpenAPI operation fields, read by openapi.ts. */
    operationId?: string;
    summary?: string;
    description?: string;
    tags?: readonly string[];
    /**
     * This operation's own words for a shared error response, by status: which codes it may
     * answer with there (OpenAPI 3.1 lets a reference's description override the target's).
     */
    errorDescriptions?: Readonly<Partial<Record<number, string>>>;
  }
}

type JsonSchema = Record<string, unknown>;

/** The body of every API error, as the error handler renders it. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, machine-readable: `validation_failed`, …' }),
      message: z.string().meta({ description: 'For people; may change.' }),
      details: z
        .array(z.object({ field: z.string(), message: z.string() }))
        .optional()
        .meta({ description: 'Per-field problems (400 `validation_failed`, 409 `conflict`).' }),
      requestId: z.string().meta({ description: 'Also in X-Request-Id and the server logs.' }),
    }),
  })
  .meta({ id: 'Error' });

/** A 204 response: Fastify sends nothing, the document says so. */
export const NoContent = z.null().meta({ description: 'Done; no body.' });

const downloads = new WeakMap<z.ZodType, string>();

/**
 * A response that is a file to save, of `mediaType` (bare, no parameters), streamed, so no
 * serializer runs: `schema` only describes the body in the document, which also names its
 * Content-Disposition header.
 */
export function fileDownload<T extends z.ZodType>(mediaType: string, schema: T): T {
  downloads.set(schema, mediaType);
  return schema;
}

const CONTENT_DISPOSITION = {
  description: 'attachment; filename="…": a file to save.',
  schema: { type: 'string' },
};

const ERROR_RESPONSES = {
  400: ['BadRequest', 'A field, parameter or the JSON itself is not valid; nothing changed.'],
  401: ['Unauthorized', 'No token, or an unknown or revoked one (`WWW-Authenticate: Bearer`).'],
  403: ['Forbidden', 'The token lacks the scope this operation needs (`insufficient_scope`).'],
  404: ['NotFound', 'No such link among yours (another user’s link is reported the same way).'],
  409: ['Conflict', 'The alias or slug is already taken (`conflict`); nothing changed.'],
  413: ['PayloadTooLarge', 'The body is larger than SERVER_BODY_LIMIT.'],
  415: ['UnsupportedMediaType', 'Bodies must be `application/json`.'],
  429: ['RateLimited', 'Over API_RATE_LIMIT requests this minute; see Retry-After.'],
} as const satisfies Record<number, readonly [string, string]>;

const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': 'Requests allowed per window (API_RATE_LIMIT per minute).',
  'RateLimit-Remaining': 'Requests left in the current window.',
  'RateLimit-Reset': 'Seconds until the window resets.',
} as const;

interface CollectedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: RouteOptions['schema'];
  readonly access: ApiAccess;
}

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** Collects the API's routes (an onRoute hook) and renders them as an OpenAPI 3.1 document. */
export function createOpenApiCollector(info: { siteUrl: string }) {
  const routes: CollectedRoute[] = [];
  const schemas: Record<string, JsonSchema> = {};

  /** JSON Schema 2020-12 (OpenAPI 3.1's dialect); named schemas become components. */
  function toJson(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io });
    const { $defs = {}, ...rest } = JSON.parse(
      JSON.stringify(converted).replaceAll('"#/$defs/', '"#/components/schemas/'),
    ) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    // The document names the dialect once (jsonSchemaDialect), not in every schema.
    delete rest.$schema;
    for (const [name, definition] of Object.entries($defs)) {
      const existing = schemas[name];
      // One id, one shape: a schema used both as input and output must not differ between them.
      if (existing && JSON.stringify(existing) !== JSON.stringify(definition)) {
        throw new Error(`OpenAPI: the schema "${name}" has two different shapes`);
      }
      schemas[name] = definition;
    }
    return rest;
  }

  function parameters(schema: unknown, where: 'path' | 'query'): JsonSchema[] {
    if (!(schema instanceof z.ZodType)) return [];
    const json = toJson(schema, 'input') as {
      properties?: Record<string, JsonSchema>;
      required?: string[];
    };
    return Object.entries(json.properties ?? {}).map(([name, property]) => {
      const { description, ...propertySchema } = property;
      return {
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: propertySchema,
      };
    });
  }

  function operation(route: CollectedRoute): JsonSchema {
    const schema = route.schema ?? {};
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(schema.response ?? {})) {
      const headers = {
        ...rateLimitHeaders(),
        ...(status === '201'
          ? {
              Location: {
                description: 'The new resource.',
                schema: { type: 'string', format: 'uri' },
              },
            }
          : {}),
      };
      if (response === NoContent) {
        responses[status] = { description: 'Done; no body.', headers };
      } else if (response instanceof z.ZodType) {
        const download = downloads.get(response);
        responses[status] = {
          description: response.description ?? (status === '201' ? 'Created' : 'OK'),
          headers: download ? { ...headers, 'Content-Disposition': CONTENT_DISPOSITION } : headers,
          content: { [download ?? 'application/json']: { schema: toJson(response, 'output') } },
        };
      }
    }
    const hasBody = schema.body instanceof z.ZodType;
    const errors: number[] = [429];
    if (hasBody || schema.querystring || schema.params) errors.push(400);
    if (route.access !== 'public') errors.push(401);
    if (route.access.includes(':')) errors.push(403);
    if (schema.params) errors.push(404);
    if (hasBody) errors.push(409, 413, 415);
    for (const status of errors.sort((a, b) => a - b)) {
      const shared = ref('responses', ERROR_RESPONSES[status as keyof typeof ERROR_RESPONSES][0]);
      const own = schema.errorDescriptions?.[status];
      responses[status] = own === undefined ? shared : { ...shared, description: own };
    }
    return {
      ...(schema.operationId ? { operationId: schema.operationId } : {}),
      ...(schema.summary ? { summary: schema.summary } : {}),
      ...(schema.description ? { description: schema.description } : {}),
      ...(schema.tags ? { tags: [...schema.tags] } : {}),
      security:
        route.access === 'public'
          ? []
          : [{ bearer: route.access === 'authenticated' ? [] : [route.access] }],
      parameters: [
        ...parameters(schema.params, 'path'),
        ...parameters(schema.querystring, 'query'),
      ],
      ...(hasBody
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: toJson(schema.body as z.ZodType, 'input') },
              },
            },
          }
        : {}),
      responses,
    };
  }

  function rateLimitHeaders() {
    return Object.fromEntries(
      Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, ref('headers', name)]),
    );
  }

  let document: JsonSchema | undefined;

  return {
    /** The onRoute hook: every API route must say who may call it. */
    add(route: RouteOptions): void {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const access = route.config?.apiAccess;
      if (access === undefined) {
        throw new Error(`API route ${methods.join(',')} ${route.url} declares no apiAccess`);
      }
      for (const method of methods) {
        // Fastify adds HEAD for every GET; the document lists what clients are meant to call.
        if (method === 'HEAD') continue;
        routes.push({ method: method.toLowerCase(), url: route.url, schema: route.schema, access });
      }
    },

    /** The document, built once (after every route was registered) and then reused. */
    document(): JsonSchema {
      if (document) return document;
      const paths: Record<string, Record<string, JsonSchema>> = {};
      for (const route of routes) {
        const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        (paths[path] ??= {})[route.method] = operation(route);
      }
      const errorSchema = toJson(ErrorSchema, 'output');
      document = {
        openapi: '3.1.0',
        info: {
          title: 'Hoplink API',
          version: '1',
          description:
            'Links, their stats and the current user. Authenticate with a personal API token (Settings → API tokens) as `Authorization: Bearer <token>`. Request bodies are JSON; unknown fields and query parameters are refused with 400.',
        },
        jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
        servers: [{ url: info.siteUrl }],
        security: [{ bearer: [] }],
        tags: [
          { name: 'links', description: 'Your short links.' },
          { name: 'account', description: 'The token’s user, and their data to download.' },
          { name: 'meta', description: 'About the API itself.' },
        ],
        paths,
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description:
                'A personal API token (`hop_…`). Scopes: `links:read` for GET, `links:write` for changes.',
            },
          },
          schemas: { ...schemas },
          headers: Object.fromEntries(
            Object.entries(RATE_LIMIT_HEADERS).map(([name, description]) => [
              name,
              { description, schema: { type: 'integer' } },
            ]),
          ),
          responses: Object.fromEntries(
            Object.values(ERROR_RESPONSES).map(([name, description]) => [
              name,
              { description, content: { 'application/json': { schema: errorSchema } } },
            ]),
          ),
        },
      };
      return document;
    },
  };
}

export type OpenApiCollector = ReturnType<typeof createOpenApiCollector>;
