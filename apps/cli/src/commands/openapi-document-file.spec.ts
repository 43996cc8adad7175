import {
  DOCUMENTED_ORIGIN,
  documentDifferences,
  documentDriftReport,
  normalizeOpenApiDocument,
  serializeOpenApiDocument,
} from './openapi-document-file';

function servedDocument(origin: string) {
  return {
    paths: {
      '/api/v1/members/{memberId}': {
        get: {
          responses: { '200': { description: '' } },
          parameters: [
            { name: 'memberId', in: 'path', required: true },
            { name: 'fields', in: 'query' },
          ],
        },
      },
    },
    openapi: '3.0.0',
    components: {
      securitySchemes: {
        partnerToken: {
          type: 'oauth2',
          flows: {
            clientCredentials: { tokenUrl: `${origin}/oauth/token`, scopes: { 'sync:write': 'sync:write' } },
          },
        },
      },
    },
  };
}

describe('the committed OpenAPI document', () => {
  it('names the documented origin in the token URL whatever host and port the service ran on', () => {
    const sut = normalizeOpenApiDocument(servedDocument('https://127.0.0.1:40123')) as ReturnType<
      typeof servedDocument
    >;
    expect(sut.components.securitySchemes.partnerToken.flows.clientCredentials.tokenUrl).toBe(
      `${DOCUMENTED_ORIGIN}/oauth/token`,
    );
  });

  it('is byte-identical for the same document served on two machines with keys in another order', () => {
    const a = servedDocument('https://127.0.0.1:1111');
    const reordered = JSON.parse(
      JSON.stringify(servedDocument('https://api.example.com'), null, 0),
    ) as Record<string, unknown>;
    const b = Object.fromEntries(Object.entries(reordered).reverse());
    expect(serializeOpenApiDocument(normalizeOpenApiDocument(b))).toBe(
      serializeOpenApiDocument(normalizeOpenApiDocument(a)),
    );
  });

  it('keeps array order (parameters, enums) and writes 2-space JSON with a final newline', () => {
    const text = serializeOpenApiDocument(normalizeOpenApiDocument(servedDocument(DOCUMENTED_ORIGIN)));
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toMatch(/^ {2}"components": \{$/);
    expect(text.indexOf('"memberId"')).toBeLessThan(text.indexOf('"fields"'));
  });

  it('reports no drift when only the origin differs', () => {
    expect(
      documentDriftReport(servedDocument(DOCUMENTED_ORIGIN), servedDocument('https://127.0.0.1:40123')),
    ).toBeUndefined();
  });

  it('fails the drift check naming the changed operation and the command to run', () => {
    const served = servedDocument(DOCUMENTED_ORIGIN);
    served.paths['/api/v1/members/{memberId}'].get.parameters.pop();
    const report = documentDriftReport(servedDocument(DOCUMENTED_ORIGIN), served);
    expect(report).toContain('npm run sdk:generate');
    expect(report).toContain('/paths/~1api~1v1~1members~1{memberId}/get/parameters');
  });

  it('tells an added operation from a removed one', () => {
    const committed = servedDocument(DOCUMENTED_ORIGIN);
    const served = servedDocument(DOCUMENTED_ORIGIN) as { paths: Record<string, unknown> };
    served.paths['/api/v1/changes'] = { get: { responses: {} } };
    expect(documentDifferences(committed, served)).toEqual(['/paths/~1api~1v1~1changes (added)']);
    expect(documentDifferences(served, committed)).toEqual(['/paths/~1api~1v1~1changes (removed)']);
  });
});
