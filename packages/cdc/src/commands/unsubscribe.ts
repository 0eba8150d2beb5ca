import { defineCommand, FerriteValidationError, readInteger } from '@ferrite/core';
import { assertInteger } from '@ferrite/core/validate';

/** `CDC.UNSUBSCRIBE <subscription> …` → how many were removed (only the connection's own count). */
export const cdcUnsubscribeCommand = defineCommand({
  name: 'CDC.UNSUBSCRIBE',
  keyIndex: null,
  retryable: true,
  encode(...subscriptions: number[]) {
    if (subscriptions.length === 0) throw new FerriteValidationError('subscriptions', 'name at least one subscription');
    for (const id of subscriptions) assertInteger(id, 'subscription', { min: 1 });
    return subscriptions;
  },
  decode: (reply) => readInteger(reply),
});
