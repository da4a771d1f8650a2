import { findProvider, providerApi, type Catalogue } from '@sluice/catalogue';
import type { GenerationParams } from '@sluice/events';
import { ProviderUnsupportedParamsError, unsupportedParams } from '@sluice/providers';
import type { Quote } from './quote';

/** Why this provider's API cannot take the customer's parameters, or null when it can. */
export function paramsRefusal(catalogue: Catalogue, providerId: string, params: GenerationParams | undefined): ProviderUnsupportedParamsError | null {
  const api = providerApi(findProvider(catalogue, providerId));
  const lacking = unsupportedParams(api, params);
  return lacking.length > 0 ? new ProviderUnsupportedParamsError(providerId, api, lacking) : null;
}

/**
 * The up-front check for a gateway: when no candidate's API can take the parameters, the first
 * refusal (naming them), so that the request is refused before anything is held; else null.
 */
export function refusedByEvery(catalogue: Catalogue, candidates: readonly Pick<Quote, 'providerId'>[], params: GenerationParams | undefined): ProviderUnsupportedParamsError | null {
  if (!params || candidates.length === 0) return null;
  const refusals = candidates.map((q) => paramsRefusal(catalogue, q.providerId, params));
  return refusals.every((r) => r !== null) ? refusals[0] : null;
}
