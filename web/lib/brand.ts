export const APP_NAME = "Callcenter";
export const APP_TAGLINE = "AI agents that answer your phones, with your team one click away.";
