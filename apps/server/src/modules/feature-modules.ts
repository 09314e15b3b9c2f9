import { accountModule } from './account/account-routes.js';
import { adminModule } from './admin/admin-routes.js';
import { authModule } from './auth/auth-routes.js';
import type { FeatureModule } from './feature-module.js';
import { federationModule } from './federation/federation-routes.js';
import { healthModule } from './health/health-routes.js';
import { mailModule } from './mail/mail-module.js';
import { notesModule } from './notes/notes-routes.js';
import { profileModule } from './profile/profile-routes.js';
import { secondFactorsModule } from './second-factors/second-factor-routes.js';
import { securityModule } from './security/security-routes.js';
import { securityReportsModule } from './security-reports/security-reports-routes.js';
import { securityTxtModule } from './security-txt/security-txt-routes.js';

/** Every feature, in registration order: adding a feature is adding its module here. */
export const featureModules: readonly FeatureModule[] = [
  healthModule,
  authModule,
  accountModule,
  profileModule,
  mailModule,
  notesModule,
  securityModule,
  secondFactorsModule,
  federationModule,
  adminModule,
  securityReportsModule,
  securityTxtModule,
];
