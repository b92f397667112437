import { Column, Entity, Index } from 'typeorm';
import { numericTransformer } from '../../kernel/transformers';
import { WorkspaceOwnedEntity } from '../../kernel/workspace-owned.entity';

@Entity('assumptions')
@Index(['workspaceId', 'createdAt'])
export class Assumption extends WorkspaceOwnedEntity {
  @Column('text')
  name: string;

  @Column('numeric', { transformer: numericTransformer })
  value: number;

  @Column('text', { nullable: true })
  unit: string | null;
}
