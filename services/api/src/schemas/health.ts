import { z } from 'zod';

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

export type Health = z.output<typeof HealthSchema>;
