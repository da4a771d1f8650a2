import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApiExceptionFilter } from './api-exception.filter';

/** Every error of every endpoint leaves through one filter, in one envelope; paths work with or without a trailing slash. */
@Module({ providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }] })
export class ErrorsModule {}
