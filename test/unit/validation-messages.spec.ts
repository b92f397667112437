import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsOptional, IsString, IsUUID, ValidateNested, validate } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { describe, expect, it } from 'vitest';
import { validationMessages } from '../../src/kernel/validation';

class Inner {
  @IsUUID() id: string;
}
class Outer {
  @IsUUID() teamId: string;
  @IsOptional() @IsString() stage?: string;
  @IsOptional() @ValidateNested() @Type(() => Inner) inner?: Inner;
}

const messages = async (body: object) => validationMessages(await validate(plainToInstance(Outer, body)));

describe('validationMessages', () => {
  it('says a missing required field is required, instead of its first failed constraint', async () => {
    expect(await messages({})).toEqual(['teamId is required']);
  });

  it('keeps the constraint message for a present but malformed value, including null', async () => {
    expect(await messages({ teamId: 'x' })).toEqual(['teamId must be a UUID']);
    expect(await messages({ teamId: null })).toEqual(['teamId must be a UUID']);
  });

  it('leaves absent optional fields alone and names nested fields by path', async () => {
    const id = '3f1c2b9e-8a4d-4c2e-9b7a-1d2e3f4a5b6c';
    expect(await messages({ teamId: id })).toEqual([]);
    expect(await messages({ teamId: id, inner: {} })).toEqual(['inner.id is required']);
    expect(await messages({ teamId: id, inner: { id: 'x' } })).toEqual(['inner.id must be a UUID']);
  });
});
