import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsISO8601, IsNotEmpty, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { IsNotCommonPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy';

/** A new password: at least 10 characters and not one of the commonly breached passwords. */
function NewPassword(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({
      example: 'correct horse battery staple',
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      description: `At least ${PASSWORD_MIN_LENGTH} characters, and not one of the commonly breached passwords`,
    })(target, key);
    IsString()(target, key);
    MinLength(PASSWORD_MIN_LENGTH)(target, key);
    MaxLength(PASSWORD_MAX_LENGTH)(target, key);
    IsNotCommonPassword()(target, key);
  };
}

/** A mailed single-use token. */
function MailedToken(): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ example: 'cc_ve_Jx3k9QhT…', description: 'The token from the mailed link (`?token=`)' })(target, key);
    IsString()(target, key);
    IsNotEmpty()(target, key);
    MaxLength(200)(target, key);
  };
}

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

  @NewPassword()
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
  @ApiProperty({ example: false, description: 'Whether the owner of the address proved it (mailed link or password reset)' })
  emailVerified: boolean;
}

export class UserResponseView {
  @ApiProperty({ type: UserView }) user: UserView;
}

export class VerifyEmailDto {
  @MailedToken()
  token: string;
}

export class PasswordResetDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(320)
  email: string;
}

export class PasswordResetConfirmDto {
  @MailedToken()
  token: string;

  @NewPassword()
  password: string;
}

export class ChangePasswordDto {
  @ApiProperty({ example: 'my old passphrase' })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword: string;

  @NewPassword()
  newPassword: string;
}

export class SessionInfoView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2026-11-27T12:34:00.000Z', description: 'Updated at most once a minute' }) lastUsedAt: string;
  @ApiProperty({ example: '2026-12-27T10:00:00.000Z' }) expiresAt: string;
  @ApiProperty({ example: 'Mozilla/5.0 (X11; Linux x86_64)', nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ example: true, description: 'The session making this request' }) current: boolean;
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

  @ApiPropertyOptional({ example: '2027-06-30T00:00:00.000Z', description: 'When the key stops working (in the future); omitted: until revoked' })
  // Omitted means "until revoked"; null is refused like any other non-date.
  @ValidateIf((_, value) => value !== undefined)
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'CI pipeline' }) name: string;
  @ApiProperty({ example: 'cc_key_AbC1', description: 'The first characters, to tell keys apart' }) prefix: string;
  @ApiProperty({ format: 'uuid', description: 'The user it acts as' }) userId: string;
  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: '2027-06-30T00:00:00.000Z', nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ example: '2026-11-28T09:15:00.000Z', nullable: true, type: String, description: 'Updated at most once a minute' })
  lastUsedAt: string | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ example: 'cc_key_3q2-7wH...', description: 'Shown once; only its hash is stored' }) key: string;
}
