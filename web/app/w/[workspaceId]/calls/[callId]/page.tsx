import { CallView } from "@/app/w/[workspaceId]/calls/[callId]/call-view";

export const metadata = { title: "Call" };

export default async function CallPage({ params }: { params: Promise<{ callId: string }> }) {
  const { callId } = await params;
  return <CallView callId={callId} />;
}
