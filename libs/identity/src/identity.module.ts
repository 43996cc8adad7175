// Who may call: OAuth clients and tokens, API keys, admin users and sessions, scopes and the BOLA gate.
// It must never read or return member data; member routes ask it whether a caller may see one.
import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { VendorsModule } from '@app/vendors';
import { AdminTotpOwner, SigningKeysOwner } from './key-owners';
import { ObjectAccessService } from './access/object-access.service';
import { AdminAccountsService } from './admin/admin-accounts.service';
import { AdminBrowserSessionsService } from './admin/admin-browser-sessions.service';
import { AdminSessionController } from './admin/admin-session.controller';
import { AdminRefreshToken, AdminSession } from './admin/admin-session.entity';
import { AdminSessionsService } from './admin/admin-sessions.service';
import { AdminUser } from './admin/admin-user.entity';
import { AdminUsersController } from './admin/admin-users.controller';
import { AdminUsersService } from './admin/admin-users.service';
import { RegistryPages } from './admin/registry-pages';
import { ApiKey } from './api-keys/api-key.entity';
import { ApiKeysService } from './api-keys/api-keys.service';
import { ClientsService } from './clients/clients.service';
import { OAuthClient } from './clients/oauth-client.entity';
import { Organization } from './organizations/organization.entity';
import { OrganizationsController } from './organizations/organizations.controller';
import { OrganizationsService } from './organizations/organizations.service';
import { Partner } from './partners/partner.entity';
import { PartnerRegistryService } from './partners/partner-registry.service';
import { PartnersController } from './partners/partners.controller';
import { PartnersService } from './partners/partners.service';
import { ClientAuthenticationService } from './tokens/client-authentication.service';
import { RevocationService } from './tokens/revocation.service';
import { SigningKey } from './tokens/signing-key.entity';
import { SigningKeysController } from './tokens/signing-keys.controller';
import { SigningKeysService } from './tokens/signing-keys.service';
import { TokenIssuerService } from './tokens/token-issuer.service';
import { TokenController } from './tokens/token.controller';
import { TokenService } from './tokens/token.service';

@Module({
  imports: [
    VendorsModule,
    MikroOrmModule.forFeature([
      Organization,
      Partner,
      OAuthClient,
      ApiKey,
      SigningKey,
      AdminUser,
      AdminSession,
      AdminRefreshToken,
    ]),
  ],
  controllers: [
    TokenController,
    AdminSessionController,
    OrganizationsController,
    PartnersController,
    SigningKeysController,
    AdminUsersController,
  ],
  providers: [
    OrganizationsService,
    PartnersService,
    ClientsService,
    ApiKeysService,
    SigningKeysService,
    TokenIssuerService,
    RevocationService,
    ClientAuthenticationService,
    TokenService,
    AdminUsersService,
    AdminSessionsService,
    AdminBrowserSessionsService,
    ObjectAccessService,
    SigningKeysOwner,
    AdminTotpOwner,
    RegistryPages,
    PartnerRegistryService,
    AdminAccountsService,
  ],
  exports: [
    ObjectAccessService,
    OrganizationsService,
    PartnersService,
    ClientsService,
    ApiKeysService,
    RevocationService,
    AdminUsersService,
    AdminSessionsService,
    AdminBrowserSessionsService,
    SigningKeysService,
    TokenIssuerService,
  ],
})
export class IdentityModule {}
