/** Nest token of the API's WebhookConfig (config.ts loadWebhookConfig). */
export const WEBHOOK_CONFIG = Symbol('WEBHOOK_CONFIG');
