import { Column, Entity, Index } from 'typeorm';
import { WorkspaceOwnedEntity } from '../kernel/workspace-owned.entity';

@Entity('teams')
@Index(['workspaceId', 'createdAt'])
export class Team extends WorkspaceOwnedEntity {
  @Column('text')
  name: string;
}
