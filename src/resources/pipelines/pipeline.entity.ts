import { Column, Entity, Index } from 'typeorm';
import { WorkspaceOwnedEntity } from '../../kernel/workspace-owned.entity';

@Entity('pipelines')
@Index(['workspaceId', 'createdAt'])
export class Pipeline extends WorkspaceOwnedEntity {
  @Column('text')
  name: string;

  @Column('text', { array: true, default: () => "'{}'" })
  stages: string[];
}
