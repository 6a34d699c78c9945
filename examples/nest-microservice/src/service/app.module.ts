import { Module } from '@nestjs/common'
import { AppController } from './app.controller'
import { ProgressService } from './progress.service'

@Module({ controllers: [AppController], providers: [ProgressService] })
export class AppModule {}
