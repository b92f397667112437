import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';

export class SignupDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'Ada Lovelace', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 8, maxLength: 256 })
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @MaxLength(256)
  password: string;
}

export class UserView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ada@example.com' }) email: string;
  @ApiProperty({ example: 'Ada Lovelace' }) name: string;
}

export class SessionView {
  @ApiProperty({ type: UserView }) user: UserView;
  @ApiProperty({ example: 'cc_at_3q2-7wH...', description: 'Send as `Authorization: Bearer <token>`' }) token: string;
}

export class MembershipView {
  @ApiProperty({ format: 'uuid' }) workspaceId: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member', 'viewer'] }) role: string;
}

export class MeView extends UserView {
  @ApiProperty({ type: [MembershipView] }) memberships: MembershipView[];
}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI pipeline', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'CI pipeline' }) name: string;
  @ApiProperty({ example: 'cc_key_AbC1', description: 'The first characters, to tell keys apart' }) prefix: string;
  @ApiProperty({ format: 'uuid', description: 'The user it acts as' }) userId: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ example: 'cc_key_3q2-7wH...', description: 'Shown once; only its hash is stored' }) key: string;
}
