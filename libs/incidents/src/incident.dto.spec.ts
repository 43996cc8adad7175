import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AssessmentDto, NotificationDto } from './incident.dto';

// Found by the Postman fuzz run: a required nested object left out reached the service (500).
describe('incident DTOs refuse a missing required object', () => {
  it.each(['natureAndExtent', 'unauthorizedPerson', 'acquiredOrViewed', 'mitigation'])(
    'assessment without %s',
    async (factor) => {
      const errors = await validate(
        plainToInstance(AssessmentDto, { reason: 'review', [factor]: undefined }),
      );
      expect(errors.map((e) => e.property)).toContain(factor);
    },
  );

  it('notification without contact', async () => {
    const errors = await validate(plainToInstance(NotificationDto, { reason: 'notice' }));
    expect(errors.map((e) => e.property)).toContain('contact');
  });
});
