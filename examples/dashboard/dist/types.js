// The rows the public API answers, as the dashboard reads them (amounts are decimal strings).
export {};
