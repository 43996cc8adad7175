import { Matches } from 'class-validator';

const PARTNER_ID = /^prt_[0-9A-HJKMNP-TV-Z]{26}$/;
const KEY_ID = /^key_[0-9A-HJKMNP-TV-Z]{26}$/;
const CLIENT_ID = /^cli_[0-9A-HJKMNP-TV-Z]{26}$/;

// Path parameters are classes, never intersection types: the validation pipe only sees a class
// (an intersection reflects as Object, and the ids then reach SQL unchecked).
export class PartnerIdParam {
  @Matches(PARTNER_ID)
  partnerId: string;
}

export class PartnerClientParam {
  @Matches(PARTNER_ID)
  partnerId: string;

  @Matches(CLIENT_ID)
  clientId: string;
}

export class PartnerKeyParam {
  @Matches(PARTNER_ID)
  partnerId: string;

  @Matches(KEY_ID)
  keyId: string;
}
