/** Nest token of the API's WebhookConfig (config.ts loadWebhookConfig). */
export const WEBHOOK_CONFIG = Symbol('WEBHOOK_CONFIG');

/** Optional Nest token of the delivery worker's name resolver (destination-address.ts ResolveHost); tests provide one. */
export const WEBHOOK_RESOLVE_HOST = Symbol('WEBHOOK_RESOLVE_HOST');
