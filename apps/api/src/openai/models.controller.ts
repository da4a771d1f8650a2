import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';
import { AccountAuthGuard } from '../accounts/auth.guards';
import { UnknownModelError } from '../errors/api-error';
import { DEFAULT_MARKUP_BPS } from '../realtime/submit-realtime.decider';
import { modelObjects, type ModelObject } from './models.view';

/** OpenAI's models endpoints over the catalogue. */
@Controller('v1/models')
@UseGuards(AccountAuthGuard)
export class ModelsController {
  private readonly models: ModelObject[];

  constructor(@Inject(SERVICE_RUNTIME) runtime: ServiceRuntime) {
    this.models = modelObjects(runtime.catalogue, DEFAULT_MARKUP_BPS);
  }

  @Get()
  list() {
    return { object: 'list', data: this.models };
  }

  /** Model ids hold slashes (`meta-llama/llama-3.1-8b-instruct`), so the rest of the path is the id. */
  @Get('*')
  one(@Param('*') name: string) {
    const model = this.models.find((m) => m.id === name);
    if (!model) throw new UnknownModelError(name, 'model');
    return model;
  }
}
