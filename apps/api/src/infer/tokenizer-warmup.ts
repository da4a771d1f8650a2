import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { countTokensWith } from '@sluice/catalogue';
import { SERVICE_RUNTIME, type ServiceRuntime } from '@sluice/platform';

/**
 * Loads the encodings the catalogue's models use before the API listens. Loading one (its rank
 * tables and @sluice/tokenizer's table of its vocabulary) takes ~0.1–0.4 s of CPU that cannot be
 * cut into slices: on the first request to count with it, that would hold every tenant's requests.
 */
@Injectable()
export class TokenizerWarmup implements OnApplicationBootstrap {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime) {}

  onApplicationBootstrap(): void {
    for (const tokenizer of new Set(this.runtime.catalogue.models.map((m) => m.tokenizer))) countTokensWith(tokenizer, 'warm up');
  }
}
