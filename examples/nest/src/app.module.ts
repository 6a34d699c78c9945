import { Module } from '@nestjs/common'
import { GangwayModule } from 'gangway-ws/nest'
import { ChatModule } from './chat/chat.module'
import { NotifyModule } from './notify/notify.module'

@Module({
  imports: [
    ChatModule,
    NotifyModule, // imports ChatModule as well: still one ChatGateway
    GangwayModule.forRoot({ hello: true, origins: '*' }),
  ],
})
export class AppModule {}
