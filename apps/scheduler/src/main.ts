import { mainStandalone } from '@sluice/platform';
import { loadSchedulerConfig } from './config';
import { schedulerService } from './service';

if (require.main === module) mainStandalone(schedulerService, loadSchedulerConfig);
