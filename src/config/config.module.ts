import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './app-config';
import { GracefulStop } from './graceful-stop';

/** Provides the validated AppConfig under APP_CONFIG, and the graceful-stop clock, to every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }, GracefulStop], exports: [APP_CONFIG, GracefulStop] };
  }
}
