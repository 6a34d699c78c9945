import { Module } from '@nestjs/common'
import { ChatModule } from '../chat/chat.module'
import { NotifyController } from './notify.controller'

@Module({
  imports: [ChatModule],
  controllers: [NotifyController],
})
export class NotifyModule {}
