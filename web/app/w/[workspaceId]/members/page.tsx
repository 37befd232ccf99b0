import { MembersView } from "@/app/w/[workspaceId]/members/members-view";

export const metadata = { title: "Members" };

export default function MembersPage() {
  return <MembersView />;
}
