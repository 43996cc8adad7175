// Breach incidents: affected members from the audit log, the four-factor assessment, deadlines, letters.
// It must never copy member values into an incident: letters are rendered on demand, incidents hold ids.
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { IdentityModule } from '@app/identity';
import { MembersModule } from '@app/members';
import { Incident } from './incident.entity';
import { IncidentKeysOwner } from './incident-keys.owner';
import { IncidentMember } from './incident-member.entity';
import { IncidentsController } from './incidents.controller';
import { IncidentsService } from './incidents.service';

@Module({
  imports: [MikroOrmModule.forFeature([Incident, IncidentMember]), IdentityModule, MembersModule],
  controllers: [IncidentsController],
  providers: [IncidentsService, IncidentKeysOwner],
  exports: [IncidentsService],
})
export class IncidentsModule {}
