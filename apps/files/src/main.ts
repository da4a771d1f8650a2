import { mainStandalone } from '@sluice/platform';
import { loadFilesConfig } from './config';
import { filesService } from './service';

if (require.main === module) mainStandalone(filesService, loadFilesConfig);
