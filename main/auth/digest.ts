import { createHash } from 'node:crypto';

/** SHA-256 of a string: how Gatehouse stores secrets it must recognise but never show again. */
export const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();
export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
