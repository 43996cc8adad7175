// Breach incidents: affected members from the audit log, the four-factor assessment, deadlines, letters.
// It must never copy member values into an incident: letters are rendered on demand, incidents hold ids.
import { Module } from '@nestjs/common';

@Module({})
export class IncidentsModule {}
