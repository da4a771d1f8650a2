import { mainStandalone } from '@sluice/platform';
import { loadRouterConfig } from './config';
import { routerService } from './service';

if (require.main === module) mainStandalone(routerService, loadRouterConfig);
