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

  // Arrays and objects compare differently in CASL and SQL: refuse them rather than guess.
  const scalar = (node: AstNode): unknown => {
    if (typeof node.value === 'object' && node.value !== null && !(node.value instanceof Date)) {
      throw new Error(`rules-to-sql: ${node.operator} on a non-scalar value of ${node.field} is not supported`);
    }
    return node.value;
  };
  const list = (node: AstNode): { values: unknown[]; hasNull: boolean } => {
    if (!Array.isArray(node.value)) throw new Error(`rules-to-sql: ${node.operator} needs a list for ${node.field}`);
    const values = node.value.filter((v) => v !== null && v !== undefined);
    values.forEach((v) => scalar({ ...node, value: v }));
    return { values, hasNull: values.length !== node.value.length };
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
        return node.value === null ? `${column(node.field)} IS NULL` : `${column(node.field)} = ${param(scalar(node))}`;
      case 'ne':
        return node.value === null
          ? `${column(node.field)} IS NOT NULL`
          : `${column(node.field)} IS DISTINCT FROM ${param(scalar(node))}`;
      case 'in': {
        // SQL's `x IN (NULL)` is never true while CASL's `$in: [null]` matches a null field: split nulls out.
        const { values, hasNull } = list(node);
        const col = column(node.field);
        const parts = [...(values.length ? [`${col} IN (:...${param(values).slice(1)})`] : []), ...(hasNull ? [`${col} IS NULL`] : [])];
        // `IN ()` is invalid SQL; an empty list matches nothing.
        return parts.length === 0 ? 'FALSE' : parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
      }
      case 'nin': {
        // `x NOT IN (…, NULL)` is never true in SQL; a null field passes `$nin` unless null is listed.
        const { values, hasNull } = list(node);
        const col = column(node.field);
        if (!values.length) return hasNull ? `${col} IS NOT NULL` : 'TRUE';
        const notIn = `${col} NOT IN (:...${param(values).slice(1)})`;
        return hasNull ? `(${col} IS NOT NULL AND ${notIn})` : `(${col} IS NULL OR ${notIn})`;
      }
      default:
        throw new Error(`rules-to-sql: operator ${node.operator} is not supported`);
    }
  };
  return { sql: visit(ast), params };
}
