// Point-in-time recovery with pgBackRest (issue 16): see each file.
export { resolveLayout, refuseEmbedded, pitrConfigOf, type PitrLayout } from './layout.js';
export { setupPitr, type SetupInput, type SetupReport } from './setup.js';
export { checkPitr, type PitrCheck } from './check.js';
export { backupPitr, type PitrBackupType, type PitrBackupResult } from './backup.js';
export { restorePitr, type RestoreInput, type RestoreReport } from './restore.js';
export { archiveStatus, judgeArchive, formatAge, type ArchiveStatus, type ArchiveVerdict } from './archive-status.js';
export { archiveCommand } from './conf-file.js';
export { stanzaInfo, type BackupSet, type StanzaInfo } from './pgbackrest.js';
export { recordWalMark, getWalMark, type WalMark } from './wal-marks.js';
export { parseTimeTarget, resolveTarget, chooseBackupSet, lsnValue, type RestoreTarget } from './target.js';
