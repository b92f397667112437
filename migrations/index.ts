import { Initial1795776802663 } from './1795776802663-Initial';

/** Every migration, in order. `npm run migration:generate -- migrations/Name` writes a new file; add it here. */
export const MIGRATIONS: Function[] = [Initial1795776802663];
