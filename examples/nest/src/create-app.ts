import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import type { INestApplication } from '@nestjs/common'
import { AppModule } from './app.module'

export type Platform = 'express' | 'fastify'

/** Builds the Nest application on Express (Nest's default) or Fastify. */
export async function createApp(platform: Platform = 'express'): Promise<INestApplication> {
  if (platform === 'fastify') {
    return NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: ['error', 'warn'] })
  }
  return NestFactory.create(AppModule, { logger: ['error', 'warn'] })
}
