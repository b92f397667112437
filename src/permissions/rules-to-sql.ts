import { rulesToAST } from '@casl/ability/extra';
import type { EntityMetadata } from 'typeorm';
import type { Action, AppAbility, SubjectType } from './subjects';

interface AstNode {
  operator: string;
  field?: string;
  value: unknown;
}

export interface SqlFilter {
  sql: string;
  params: Record<string, unknown>;
}

let paramSequence = 0;

/**
 * Translates the rules of `ability` for (action, subject) into a SQL condition on `alias`, so list
 * queries return exactly the rows `ability.can()` allows. Only the operators our rules use are
 * supported; anything else throws (fail closed) rather than returning too much.
 */
export function abilityToSql(
  ability: AppAbility,
  action: Action,
  subjectType: SubjectType,
  alias: string,
  metadata: EntityMetadata,
): SqlFilter {
  const ast = rulesToAST(ability, action, subjectType) as AstNode | null;
  const params: Record<string, unknown> = {};
  if (!ast) return { sql: 'FALSE', params };

  const column = (field: string | undefined): string => {
    const col = field ? metadata.findColumnWithPropertyName(field) : undefined;
    if (!col) throw new Error(`rules-to-sql: unknown field ${field} of ${subjectType}`);
    return `"${alias}"."${col.databaseName}"`;
  };
  const param = (value: unknown): string => {
    const name = `casl_${(paramSequence = (paramSequence + 1) % 1_000_000)}`;
    params[name] = value;
    return `:${name}`;
  };

  const visit = (node: AstNode): string => {
    switch (node.operator) {
      case 'and':
      case 'or': {
        const parts = (node.value as AstNode[]).map(visit);
        if (parts.length === 0) return node.operator === 'and' ? 'TRUE' : 'FALSE';
        return `(${parts.join(node.operator === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not': {
        const inner = Array.isArray(node.value) ? (node.value as AstNode[]) : [node.value as AstNode];
        // COALESCE: a NULL column makes the inner test unknown; CASL treats it as "not matched".
        return `NOT COALESCE((${inner.map(visit).join(' AND ')}), FALSE)`;
      }
      case 'eq':
        return node.value === null ? `${column(node.field)} IS NULL` : `${column(node.field)} = ${param(node.value)}`;
      case 'ne':
        return node.value === null
          ? `${column(node.field)} IS NOT NULL`
          : `${column(node.field)} IS DISTINCT FROM ${param(node.value)}`;
      case 'in': {
        const values = node.value as unknown[];
        // `IN ()` is invalid SQL; an empty list matches nothing.
        return values.length === 0 ? 'FALSE' : `${column(node.field)} IN (:...${param(values).slice(1)})`;
      }
      case 'nin': {
        const values = node.value as unknown[];
        return values.length === 0
          ? 'TRUE'
          : `(${column(node.field)} IS NULL OR ${column(node.field)} NOT IN (:...${param(values).slice(1)}))`;
      }
      default:
        throw new Error(`rules-to-sql: operator ${node.operator} is not supported`);
    }
  };
  return { sql: visit(ast), params };
}
