import { Column, Entity, Index } from 'typeorm';
import { WorkspaceOwnedEntity } from '../database/workspace-owned.entity';

@Entity('teams')
@Index(['workspaceId', 'createdAt'])
export class Team extends WorkspaceOwnedEntity {
  @Column('text')
  name: string;
}
