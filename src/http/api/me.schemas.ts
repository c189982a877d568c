import { z } from 'zod';

/** The token's user: never more than these fields (no staff flag, no password hash). */
export const MeSchema = z
  .object({
    id: z.string().meta({ format: 'uuid' }),
    email: z.string().meta({ format: 'email' }),
    username: z.string(),
  })
  .meta({ id: 'Me', description: 'The user the API token speaks for.' });
