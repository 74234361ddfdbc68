import type { FastifyInstance } from 'fastify';
import { listModelObjects, resolveModel, toModelObject } from '../models';
import { OpenAiError } from '../openai-error';

export function registerModels(app: FastifyInstance): void {
  app.get('/models', async () => ({ object: 'list', data: listModelObjects() }));

  app.get<{ Params: { id: string } }>('/models/:id', async (req) => {
    const model = resolveModel(req.params.id);
    if (!model) {
      throw new OpenAiError(
        404,
        `The model '${req.params.id}' does not exist`,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
    }
    return { ...toModelObject(model), id: req.params.id };
  });
}
