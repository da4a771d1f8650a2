import type { Catalogue, ModelSpec } from '@sluice/catalogue';
import { applyMarkup, toUsd } from '@sluice/pricing';

/** Micro-dollars per million tokens → dollars per million tokens at the edge. */
const usdPerMillion = (micros: number) => Number(toUsd(micros).toFixed(6));

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** Extension: what the name resolves to, its limits, and what a real-time call costs now. */
  sluice: {
    canonical_id: string;
    context_tokens: number;
    max_output_tokens: number;
    providers: number;
    realtime_price_usd_per_million_tokens: { input: { min: number; max: number }; output: { min: number; max: number } } | null;
    sla_base_price_usd_per_million_tokens: { input: number; output: number };
  };
}

/** "openai:gpt-4o" → openai; "meta-llama/…" (an alias) → meta-llama; else the exchange. */
function ownerOf(model: ModelSpec): string {
  if (model.id.includes(':')) return model.id.slice(0, model.id.indexOf(':'));
  const namespaced = model.aliases.find((a) => a.includes('/'));
  return namespaced ? namespaced.slice(0, namespaced.indexOf('/')) : 'sluice';
}

function range(values: number[]) {
  return { min: usdPerMillion(Math.min(...values)), max: usdPerMillion(Math.max(...values)) };
}

/**
 * Every name a request may use (a model's id and each alias) in OpenAI's model shape. The
 * real-time price range is the serving providers' list prices with the real-time markup.
 */
export function modelObjects(catalogue: Catalogue, markupBps: number): ModelObject[] {
  return catalogue.models.flatMap((model) => {
    const offers = catalogue.providers.flatMap((p) => p.models.filter((o) => o.model === model.id));
    const sluice: ModelObject['sluice'] = {
      canonical_id: model.id,
      context_tokens: model.contextTokens,
      max_output_tokens: model.maxOutputTokens,
      providers: offers.length,
      realtime_price_usd_per_million_tokens:
        offers.length === 0
          ? null
          : {
              input: range(offers.map((o) => applyMarkup(o.price.inputMicrosPerMillion, markupBps))),
              output: range(offers.map((o) => applyMarkup(o.price.outputMicrosPerMillion, markupBps))),
            },
      sla_base_price_usd_per_million_tokens: { input: usdPerMillion(model.basePrice.inputMicrosPerMillion), output: usdPerMillion(model.basePrice.outputMicrosPerMillion) },
    };
    return [model.id, ...model.aliases].map((name) => ({ id: name, object: 'model' as const, created: 0, owned_by: ownerOf(model), sluice }));
  });
}
