import { ConflictException, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AccessToken } from './access-token.entity';
import { LoginDto, MeView, SessionView, SignupDto, UserView } from './auth.dto';
import { ACCESS_TOKEN_PREFIX, generateOpaqueToken, hashToken } from './opaque-token';
import { hashPassword, verifyPassword } from './password-hasher';
import { User } from './user.entity';

const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
// Compared against when the email is unknown, so response time does not reveal which emails exist.
const DUMMY_HASH = hashPassword('not-a-real-password');

@Injectable()
export class AuthService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async signup(dto: SignupDto): Promise<SessionView> {
    const passwordHash = await hashPassword(dto.password);
    return this.dataSource.transaction(async (tx) => {
      const inserted: User[] = await tx.query(
        `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING RETURNING id, email, name`,
        [dto.email.toLowerCase(), dto.name, passwordHash],
      );
      if (!inserted.length) throw new ConflictException('Email is already registered');
      return { user: toUserView(inserted[0]), token: await this.issueToken(tx, inserted[0].id) };
    });
  }

  async login(dto: LoginDto): Promise<SessionView> {
    const user = await this.dataSource.getRepository(User).findOneBy({ email: dto.email.toLowerCase() });
    const valid = await verifyPassword(dto.password, user?.passwordHash ?? (await DUMMY_HASH));
    if (!user || !valid) throw new UnauthorizedException('Invalid email or password');
    return { user: toUserView(user), token: await this.issueToken(this.dataSource.manager, user.id) };
  }

  async logout(token: string): Promise<void> {
    await this.dataSource.getRepository(AccessToken).delete({ tokenHash: hashToken(token) });
  }

  async me(userId: string): Promise<MeView> {
    const user = await this.dataSource.getRepository(User).findOneByOrFail({ id: userId });
    const memberships: { workspace_id: string; role: string }[] = await this.dataSource.query(
      'SELECT workspace_id, role FROM memberships WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );
    return { ...toUserView(user), memberships: memberships.map((m) => ({ workspaceId: m.workspace_id, role: m.role })) };
  }

  private async issueToken(manager: EntityManager, userId: string): Promise<string> {
    const token = generateOpaqueToken(ACCESS_TOKEN_PREFIX);
    await manager.getRepository(AccessToken).insert({
      userId,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + SESSION_TTL_MS),
    });
    return token;
  }
}

function toUserView(user: Pick<User, 'id' | 'email' | 'name'>): UserView {
  return { id: user.id, email: user.email, name: user.name };
}
