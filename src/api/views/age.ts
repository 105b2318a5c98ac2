// kubectl-style AGE ("45s", "5m3s", "47m", "5h12m", "30h", "6d2h", "120d", "3y40d"), as kubectl's HumanDuration.
export function humanAge(since: string | undefined, now = Date.now()): string {
  if (!since) return '';
  const start = Date.parse(since);
  if (Number.isNaN(start)) return '';
  const totalSeconds = Math.floor((now - start) / 1000);
  if (totalSeconds < 0) return '0s';
  if (totalSeconds < 120) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 10) {
    const s = totalSeconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(totalSeconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}
