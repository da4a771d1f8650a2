import { mainStandalone } from '@sluice/platform';
import { loadApiConfig } from './config';
import { apiService } from './service';

if (require.main === module) mainStandalone(apiService, loadApiConfig);
