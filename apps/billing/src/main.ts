import { mainStandalone } from '@sluice/platform';
import { loadBillingConfig } from './config';
import { billingService } from './service';

if (require.main === module) mainStandalone(billingService, loadBillingConfig);
